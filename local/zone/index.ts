export * from "./localZone";
