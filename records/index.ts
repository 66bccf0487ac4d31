// The record contract: every name, value and identifier that crosses a process boundary. Pure code, no I/O.
export * from "./availabilityZones";
export * from "./checkDeclarations";
export * from "./healthMarkers";
export * from "./portCap";
export * from "./problems";
export * from "./recordSets";
export * from "./serviceDeclarations";
export * from "./serviceOwners";
export * from "./setIdentifier";
export * from "./zone";
