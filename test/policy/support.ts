/** Shared helpers for policy tests. */
import { fail } from "node:assert/strict";
import { formatLocatedError, loadPolicyText, PolicyLoadError } from "../../src/policy/loader.ts";

/** Every error the loader reports for `text`, as `file:line:col: message`; fails if it loads. */
export function errorsOf(text: string, file = "p.yaml"): string[] {
  try {
    loadPolicyText(text, file);
  } catch (error) {
    if (error instanceof PolicyLoadError) return error.errors.map(formatLocatedError);
    throw error;
  }
  fail("expected a PolicyLoadError, but the policy loaded");
}

/** A policy with one tool `a` whose rules are given as YAML lines at rule-list indentation. */
export function withRules(rules: string): string {
  return `version: "1"\ntools:\n  a:\n    rules:\n${rules}`;
}
