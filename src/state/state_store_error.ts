/** A state store that cannot be used as configured (a bad file, a bad URL): refused at start. */
export class StateStoreError extends Error {
  override name = "StateStoreError";
}
