// moto's fixture lives in the test kit; the suites that start moto import it from here too.
export * from "../kit/moto";
