// The agent's sync loop was first called the reconcile loop; "reconcile" now means the reconciler Lambda
// alone. This path stays for code that still imports the old name.
export * from "./syncLoop";
