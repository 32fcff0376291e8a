/** The shared state-store conformance suite against the memory store. */
import { MemoryBackend } from "../../src/state/memory_backend.ts";
import { runConformance } from "./backend_conformance.ts";

runConformance("MemoryBackend", {
  clock: "injected",
  fleet: false,
  open: () => Promise.resolve(new MemoryBackend()),
});
