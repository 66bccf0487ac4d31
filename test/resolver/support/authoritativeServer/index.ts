// The authoritative DNS server the resolver tests talk to lives in the test kit; this folder keeps the
// resolver tests' `./support/authoritativeServer` import working.
export * from "../../../kit/authoritativeServer";
