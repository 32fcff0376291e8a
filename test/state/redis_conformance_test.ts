/** The shared state-store conformance suite against Redis (`INTERCEPT_TEST_REDIS`), on its clock. */
import { runConformance } from "./backend_conformance.ts";
import { openTestRedis, REDIS_SKIP, testPrefix } from "./redis_support.ts";

let prefix = "";

runConformance("RedisBackend", {
  clock: "server",
  fleet: true,
  skip: REDIS_SKIP,
  open: () => openTestRedis(prefix = testPrefix()),
  sibling: () => openTestRedis(prefix),
});
