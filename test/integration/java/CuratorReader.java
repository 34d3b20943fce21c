// A real Apache Curator reader for the ZooKeeper adapter's integration tests (Debian libcurator-discovery-java).
//   query CONNECT BASEPATH NAME   -> one JSON line per instance, as Curator's ServiceDiscovery.queryForInstances reads it
//   serialize NAME ID ADDRESS PORT TIMEUTC -> the bytes Curator's default JsonInstanceSerializer writes for that instance
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.ServiceType;
import org.apache.curator.x.discovery.details.JsonInstanceSerializer;

public class CuratorReader {
  public static void main(String[] args) throws Exception {
    JsonInstanceSerializer<Object> serializer = new JsonInstanceSerializer<>(Object.class);
    if (args.length == 6 && args[0].equals("serialize")) {
      ServiceInstance<Object> instance = new ServiceInstance<>(args[1], args[2], args[3], Integer.valueOf(args[4]), null, null,
          Long.parseLong(args[5]), ServiceType.DYNAMIC, null);
      System.out.println(new String(serializer.serialize(instance), StandardCharsets.UTF_8));
      return;
    }
    if (args.length != 4 || !args[0].equals("query")) {
      System.err.println("usage: query CONNECT BASEPATH NAME | serialize NAME ID ADDRESS PORT TIMEUTC");
      System.exit(2);
    }
    CuratorFramework client = CuratorFrameworkFactory.newClient(args[1], 10000, 5000, new ExponentialBackoffRetry(200, 3));
    client.start();
    try {
      ServiceDiscovery<Object> discovery = ServiceDiscoveryBuilder.builder(Object.class)
          .client(client).basePath(args[2]).serializer(serializer).build();
      discovery.start();
      Collection<ServiceInstance<Object>> instances = discovery.queryForInstances(args[3]);
      for (ServiceInstance<Object> i : instances) {
        System.out.println(new String(serializer.serialize(i), StandardCharsets.UTF_8));
      }
      discovery.close();
    } finally {
      client.close();
    }
  }
}
