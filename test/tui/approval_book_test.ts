import assert from "node:assert/strict";
import { ApprovalBook, fateText, MAX_HELD } from "../../tui/approval_book.ts";
import type { ApprovalNotice } from "../../src/control/protocol.ts";
import { heldView } from "./fakes.ts";

function notice(
  event: ApprovalNotice["event"],
  id: string,
  extra: Partial<ApprovalNotice> = {},
): ApprovalNotice {
  return { ts: 1, event, approval: heldView(id), by: null, reason: null, ...extra };
}

Deno.test("ApprovalBook keeps held calls from notifications, soonest to expire first", () => {
  const book = new ApprovalBook();
  assert.equal(book.apply(notice("requested", "b2"), 10), true);
  const early = { ...notice("requested", "a1"), approval: heldView("a1", { expiresAt: 5 }) };
  assert.equal(book.apply(early, 10), true);
  assert.equal(book.apply(notice("requested", "a1"), 10), false, "a duplicate changes nothing");
  assert.deepEqual(book.held().map((v) => v.id), ["a1", "b2"]);
  assert.equal(book.held(), book.held(), "the same array until it changes");
  assert.equal(book.apply(notice("rejected", "a1", { by: "ann", reason: "no" }), 11), true);
  assert.deepEqual(book.held().map((v) => v.id), ["b2"]);
  assert.deepEqual(book.fate("a1"), {
    event: "rejected",
    tool: "create-connector",
    by: "ann",
    reason: "no",
    ts: 1,
  });
  assert.equal(book.fate("b2"), null);
});

Deno.test("ApprovalBook ignores a notice without the fields it reads", () => {
  const book = new ApprovalBook();
  const broken = { ...notice("requested", "a1"), approval: { id: 7 } } as unknown as ApprovalNotice;
  assert.equal(book.apply(broken, 1), false);
  assert.equal(book.apply(null as unknown as ApprovalNotice, 1), false);
  assert.deepEqual(book.held(), []);
});

Deno.test("ApprovalBook replace() heals missed notifications and keeps what the answer predates", () => {
  const book = new ApprovalBook();
  book.apply(notice("requested", "gone"), 100);
  book.apply(notice("requested", "fresh"), 205); // heard after the question was asked at 200
  book.apply(notice("requested", "done"), 100);
  book.apply(notice("granted", "done"), 201); // settled after the question: the answer lists it
  const changed = book.replace([heldView("missed"), heldView("done"), { id: 3 } as never], 200);
  assert.equal(changed, true);
  assert.deepEqual(book.held().map((v) => v.id).sort(), ["fresh", "missed"]);
  assert.equal(book.replace([heldView("missed")], 300), true, "fresh was settled unheard");
  assert.equal(book.replace([heldView("missed")], 400), false);
});

Deno.test("ApprovalBook holds at most MAX_HELD calls, however many a proxy lists", () => {
  const book = new ApprovalBook();
  const many = Array.from({ length: MAX_HELD + 5 }, (_, i) => heldView(`c${i}`));
  book.replace(many, 1);
  assert.equal(book.held().length, MAX_HELD);
  assert.equal(book.apply(notice("requested", "one-more"), 2), false);
});

Deno.test("fateText() says what became of a call in words", () => {
  const base = { tool: "t", ts: 1, by: null, reason: null };
  assert.equal(
    fateText({ ...base, event: "granted", by: "ann via ctl" }),
    "approved by ann via ctl",
  );
  assert.equal(
    fateText({ ...base, event: "rejected", by: "bob", reason: "too big" }),
    "rejected by bob: too big",
  );
  assert.equal(fateText({ ...base, event: "expired" }), "expired: nobody answered in time");
  assert.equal(
    fateText({ ...base, event: "withdrawn" }),
    "withdrawn: the agent cancelled it or left",
  );
});
