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

// The handlers come first: a signal that arrives while the binary starts must not end this
// process by default and leave the binary running on its own.
const forwarded = ["SIGINT", "SIGTERM", "SIGHUP"];
let child = null;
let early = null;
const forward = (signal) => {
  if (child) child.kill(signal);
  else early = signal;
};
if (process.platform !== "win32") {
  for (const signal of forwarded) process.on(signal, forward);
}
child = spawn(found.path, process.argv.slice(2), { stdio: "inherit" });
if (early) child.kill(early);

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
