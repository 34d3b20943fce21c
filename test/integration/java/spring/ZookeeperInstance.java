// Test stand-in with the shape of Spring Cloud Zookeeper's payload class (id, name, metadata; bean accessors),
// so the Curator reader can deserialise `payload=spring` entries without pulling Spring onto the class path.
package org.springframework.cloud.zookeeper.discovery;

import java.util.LinkedHashMap;
import java.util.Map;

public class ZookeeperInstance {
  private String id;
  private String name;
  private Map<String, String> metadata = new LinkedHashMap<>();

  @SuppressWarnings("unused")
  private ZookeeperInstance() {}

  public String getId() { return id; }
  public void setId(String id) { this.id = id; }
  public String getName() { return name; }
  public void setName(String name) { this.name = name; }
  public Map<String, String> getMetadata() { return metadata; }
  public void setMetadata(Map<String, String> metadata) { this.metadata = metadata; }
}
