#!/usr/bin/env node
// Runs the intercept binary of this platform's package (an optional dependency), with the
// same stdio, arguments and environment; passes signals to it and exits as it did.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { constants } from "node:os";
import process from "node:process";
import { resolveBinary, signalExitCode } from "../lib/platform.mjs";

function isMusl() {
  if (process.platform !== "linux") return false;
  const header = process.report?.getReport?.().header;
  return header ? !header.glibcVersionRuntime : false;
}

const require = createRequire(import.meta.url);
const host = { platform: process.platform, arch: process.arch, musl: isMusl() };
const found = resolveBinary(host, (specifier) => require.resolve(specifier));
if (found.error) {
  process.stderr.write(`intercept: ${found.error}\n`);
  process.exit(1);
}

const child = spawn(found.path, process.argv.slice(2), { stdio: "inherit" });
const forwarded = ["SIGINT", "SIGTERM", "SIGHUP"];
const forward = (signal) => child.kill(signal);
if (process.platform !== "win32") {
  for (const signal of forwarded) process.on(signal, forward);
}

child.on("error", (error) => {
  process.stderr.write(`intercept: cannot run ${found.path}: ${error.message}\n`);
  process.exit(1);
});

child.on("exit", (code, signal) => {
  if (signal) {
    // End the same way, so that our parent sees the signal too.
    for (const name of forwarded) process.removeListener(name, forward);
    process.kill(process.pid, signal);
    setTimeout(() => process.exit(signalExitCode(signal, constants.signals)), 1000);
    return;
  }
  process.exit(code ?? 1);
});
