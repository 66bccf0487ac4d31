// The seeded random lives in the test kit; the resolver tests import it from here too.
export * from "../../kit/seededRandom";
