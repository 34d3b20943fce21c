// Spring Cloud Zookeeper's ZookeeperDiscoveryClient reading one service, as a Spring application that discovers
// others does (it registers nothing itself). One JSON line per instance: what ServiceInstance says.
//   java -jar spring-zk-client.jar CONNECT ROOT NAME
package portolan.testbed;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.zookeeper.discovery.ZookeeperDiscoveryClient;
import org.springframework.context.ConfigurableApplicationContext;

@SpringBootApplication
public class SpringZkClient {
  public static void main(String[] args) {
    if (args.length != 3) {
      System.err.println("usage: CONNECT ROOT NAME");
      System.exit(2);
    }
    SpringApplication app = new SpringApplication(SpringZkClient.class);
    app.setWebApplicationType(WebApplicationType.NONE);
    app.setLogStartupInfo(false);
    try (ConfigurableApplicationContext ctx = app.run(
        "--spring.application.name=portolan-spring-zk-client",
        "--spring.main.banner-mode=off",
        "--logging.level.root=WARN",
        "--spring.cloud.zookeeper.connect-string=" + args[0],
        "--spring.cloud.zookeeper.discovery.root=" + args[1],
        "--spring.cloud.zookeeper.discovery.register=false",
        // Without a web server on the class path the auto-registration bean cannot even be defined.
        "--spring.cloud.service-registry.auto-registration.enabled=false")) {
      ZookeeperDiscoveryClient discovery = ctx.getBean(ZookeeperDiscoveryClient.class);
      List<ServiceInstance> instances = discovery.getInstances(args[2]);
      for (ServiceInstance i : instances) {
        StringBuilder out = new StringBuilder("{");
        field(out, "serviceId", i.getServiceId()).append(',');
        field(out, "instanceId", i.getInstanceId()).append(',');
        field(out, "host", i.getHost()).append(',');
        out.append("\"port\":").append(i.getPort()).append(',');
        out.append("\"secure\":").append(i.isSecure()).append(',');
        field(out, "scheme", i.getScheme()).append(',');
        field(out, "uri", i.getUri() == null ? null : i.getUri().toString()).append(",\"metadata\":{");
        boolean first = true;
        for (Map.Entry<String, String> e : new TreeMap<>(i.getMetadata()).entrySet()) {
          if (!first) out.append(',');
          first = false;
          field(out, e.getKey(), e.getValue());
        }
        System.out.println(out.append("}}"));
      }
    }
    System.exit(0);
  }

  private static StringBuilder field(StringBuilder out, String key, String value) {
    return quote(out, key).append(':').append(value == null ? "null" : quote(new StringBuilder(), value));
  }

  private static StringBuilder quote(StringBuilder out, String s) {
    out.append('"');
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') out.append('\\').append(c);
      else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
      else out.append(c);
    }
    return out.append('"');
  }
}
