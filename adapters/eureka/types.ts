// Eureka's REST API in JSON (what Eureka's own codec writes and reads; Jackson on Spring Cloud's server).

export type EurekaStatus = "UP" | "DOWN" | "STARTING" | "OUT_OF_SERVICE" | "UNKNOWN";

export interface EurekaPort {
  $: number;
  "@enabled": string | boolean;
}

export interface EurekaInstanceInfo {
  instanceId: string;
  app: string;
  hostName: string;
  ipAddr: string;
  vipAddress?: string;
  secureVipAddress?: string;
  status: string;
  overriddenStatus?: string;
  port?: EurekaPort;
  securePort?: EurekaPort;
  dataCenterInfo: { "@class": string; name: string };
  /** The server adds registrationTimestamp (ms since the epoch) and other timestamps to what a client sent. */
  leaseInfo?: { renewalIntervalInSecs: number; durationInSecs: number; registrationTimestamp?: number };
  metadata?: Record<string, string>;
  homePageUrl?: string;
  statusPageUrl?: string;
  healthCheckUrl?: string;
  lastDirtyTimestamp?: string | number;
  /** In a delta: ADDED, MODIFIED or DELETED. */
  actionType?: string;
}

export interface EurekaApplication {
  name: string;
  /** One instance may come as an object rather than a list (XML-to-JSON heritage); parseApplications evens that out. */
  instance: EurekaInstanceInfo[] | EurekaInstanceInfo;
}

/** GET /apps and /apps/delta. */
export interface EurekaApplications {
  applications: {
    versions__delta?: string;
    /** "DOWN_1_UP_3_": the count of instances per status, statuses sorted; what a delta must reproduce. */
    apps__hashcode?: string;
    application?: EurekaApplication[] | EurekaApplication;
  };
}
