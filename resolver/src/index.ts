// The resolver package: filled in by its own issue.
export {};
