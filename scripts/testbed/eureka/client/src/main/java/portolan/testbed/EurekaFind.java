package portolan.testbed;

import com.netflix.appinfo.InstanceInfo;
import com.netflix.discovery.EurekaClient;
import com.netflix.discovery.shared.Application;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.CommandLineRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * Finds one application in Eureka through Netflix's DiscoveryClient (as Spring Cloud wires it) and prints
 * each of its instances as a line "FOUND id=.. host=.. ip=.. port=.. status=.. owner=..". It waits until an
 * instance has find.status (any status when empty) or find.timeout-seconds pass (exit 1).
 *
 *   java -jar eureka-client.jar --eureka.client.service-url.defaultZone=http://127.0.0.1:18761/eureka/
 *        --find.app=WEB [--find.status=UP] [--find.timeout-seconds=60]
 */
@SpringBootApplication
public class EurekaFind implements CommandLineRunner {
  private final EurekaClient eureka;

  @Value("${find.app}") private String app;
  @Value("${find.status:}") private String status;
  @Value("${find.timeout-seconds:60}") private long timeoutSeconds;

  EurekaFind(EurekaClient eureka) {
    this.eureka = eureka;
  }

  public static void main(String[] args) {
    System.exit(SpringApplication.exit(SpringApplication.run(EurekaFind.class, args)));
  }

  @Override
  public void run(String... args) throws Exception {
    long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
    while (System.nanoTime() < deadline) {
      Application found = eureka.getApplication(app);
      if (found != null) {
        boolean match = false;
        for (InstanceInfo i : found.getInstances()) {
          match |= status.isEmpty() || i.getStatus().name().equals(status);
        }
        if (match) {
          for (InstanceInfo i : found.getInstances()) {
            System.out.printf("FOUND id=%s host=%s ip=%s port=%d status=%s owner=%s%n", i.getInstanceId(),
                i.getHostName(), i.getIPAddr(), i.getPort(), i.getStatus(), i.getMetadata().get("portolan_owner"));
          }
          System.out.flush();
          return;
        }
      }
      Thread.sleep(500);
    }
    System.out.println("NOT FOUND " + app + (status.isEmpty() ? "" : " with status " + status));
    System.out.flush();
    System.exit(1);
  }
}
