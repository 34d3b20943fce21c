# shellcheck shell=bash
# A real Spring Cloud Zookeeper reader (scripts/testbed/spring-zk: Spring's own ZookeeperDiscoveryClient, Boot 4.0.7,
# spring-cloud-dependencies 2025.1.4), built once with Maven (JDK 17 and maven from Debian, artifacts from Maven
# Central) and cached as $TB_CACHE/spring-zk-client-<version>.jar, rebuilt only when its sources change. No server:
# the tests run it against the ZooKeeper of zk.sh (`java -jar JAR CONNECT ROOT NAME` prints one JSON line per instance).
#
#   spring_zk_up / spring_zk_wait / spring_zk_down / spring_zk_status

# spring-cloud-zookeeper version of the pinned release train.
TB_SPRING_ZK_VERSION=5.0.2
TB_SPRING_ZK_JAR=$TB_CACHE/spring-zk-client-$TB_SPRING_ZK_VERSION.jar

spring_zk_up() {
  tb_maven_jar spring-zk-client "$TB_HERE/testbed/spring-zk" "$TB_SPRING_ZK_JAR" \
    "spring-cloud-zookeeper-discovery-$TB_SPRING_ZK_VERSION.jar"
}
spring_zk_wait() { [[ -s $TB_SPRING_ZK_JAR ]]; }
spring_zk_down() { :; }
spring_zk_status() {
  if [[ -s $TB_SPRING_ZK_JAR ]]; then echo "spring-zk client jar present ($TB_SPRING_ZK_JAR)"; else echo "spring-zk client jar missing"; fi
}
