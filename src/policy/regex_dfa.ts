/**
 * A lazy DFA over an RE2 program (as re2js compiles it) that answers one question: does the
 * pattern match anywhere in the input? One pass over the input, no backtracking: each input
 * character costs one table lookup, or, the first time a (state, character class) pair is met,
 * one walk of the program. So a test costs at most O(input × program), and usually O(input).
 *
 * States are built on demand and cached up to a fixed budget; past it the cache starts afresh,
 * so memory stays bounded whatever the input. test/policy/regex_dfa_test.ts checks it against re2js's own matcher.
 */

/** The parts of an re2js 2.x program instruction this DFA reads. */
export interface ProgInst {
  readonly op: number;
  readonly out: number;
  readonly arg: number;
  matchRune(rune: number): boolean;
}

/** The parts of an re2js 2.x program this DFA reads. */
export interface Prog {
  readonly inst: readonly ProgInst[];
  readonly start: number;
  startCond(): number;
}

// re2js's instruction opcodes (Inst.*) and empty-width flags (Utils.EMPTY_*).
const ALT = 1;
const ALT_MATCH = 2;
const CAPTURE = 3;
const EMPTY_WIDTH = 4;
const FAIL = 5;
const MATCH = 6;
const NOP = 7;
const RUNE = 8;
const RUNE1 = 9;
const RUNE_ANY = 10;
const RUNE_ANY_NOT_NL = 11;
const BEGIN_LINE = 1;
const END_LINE = 2;
const BEGIN_TEXT = 4;
const END_TEXT = 8;
const WORD_BOUNDARY = 16;
const NO_WORD_BOUNDARY = 32;

/** What a state knows of the character before it. */
const AT_BEGIN = 1;
const AFTER_NEWLINE = 2;
const AFTER_WORD = 4;

/** Transition results that end the scan. */
const MATCHED = -1;
const DEAD = -2;
/** Class 0 is the end of the input. */
const END = 0;

/**
 * Cache budget per pattern: states, and cells (each state's program counters plus the
 * transitions stored), about 8 bytes a cell: half a megabyte at most.
 */
const MAX_STATES = 2_000;
const MAX_CELLS = 65_536;
/** Remembered classes of characters above U+00FF. */
const MAX_WIDE_CLASSES = 4_096;

interface State {
  readonly kernel: readonly number[];
  readonly bits: number;
  /** Next state id (or MATCHED, DEAD) per character class; holes are not computed yet. */
  readonly next: number[];
}

export class LazyDfa {
  readonly #inst: readonly ProgInst[];
  readonly #start: number;
  /** `^` without `(?m)` leads: the pattern can only match from position 0. */
  readonly #anchored: boolean;
  /** One rune instruction per distinct test, for character classes. */
  readonly #runeTests: readonly ProgInst[];

  readonly #states: State[] = [];
  readonly #stateIds = new Map<string, number>();
  #cells = 0;

  readonly #classIds = new Map<string, number>();
  /** Per class: a character of it (-1 for END), and whether it is a word character / "\n". */
  readonly #classRune: number[] = [-1];
  readonly #classWord: boolean[] = [false];
  readonly #latin = new Int32Array(256).fill(-1);
  readonly #wide = new Map<number, number>();

  readonly #mark: Uint32Array;
  #generation = 0;
  readonly #stack: number[] = [];

  constructor(prog: Prog) {
    this.#inst = prog.inst;
    this.#start = prog.start;
    const cond = prog.startCond();
    this.#anchored = cond !== -1 && (cond & BEGIN_TEXT) !== 0;
    this.#mark = new Uint32Array(prog.inst.length);
    const seen = new Map<string, ProgInst>();
    for (const inst of prog.inst) {
      if (inst.op < RUNE || inst.op > RUNE_ANY_NOT_NL) continue;
      const runes = (inst as unknown as { runes: ArrayLike<number> }).runes;
      const key = `${inst.op}:${inst.arg}:${Array.prototype.join.call(runes, ",")}`;
      if (!seen.has(key)) seen.set(key, inst);
    }
    this.#runeTests = [...seen.values()];
    this.#intern([], AT_BEGIN);
  }

  /** True when the pattern matches somewhere in `input`. */
  test(input: string): boolean {
    const states = this.#states;
    const latin = this.#latin;
    const length = input.length;
    let id = 0; // the start state is always state 0
    for (let i = 0; i < length; i++) {
      let rune = input.charCodeAt(i);
      let cls: number;
      if (rune < 256) {
        cls = latin[rune];
        if (cls < 0) cls = this.#classify(rune);
      } else {
        if (rune >= 0xd800 && rune <= 0xdbff && i + 1 < length) {
          const low = input.charCodeAt(i + 1);
          if (low >= 0xdc00 && low <= 0xdfff) {
            rune = (rune - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
            i++;
          }
        }
        cls = this.#wide.get(rune) ?? this.#classify(rune);
      }
      let next = states[id].next[cls];
      if (next === undefined) next = this.#transition(id, cls);
      if (next < 0) return next === MATCHED;
      id = next;
    }
    const last = states[id].next[END] ?? this.#transition(id, END);
    return last === MATCHED;
  }

  /** The class of `rune`: characters that every instruction treats alike share one. */
  #classify(rune: number): number {
    const word = isWordRune(rune);
    let key = word ? "w" : rune === 10 ? "n" : "-";
    for (const inst of this.#runeTests) key += matches(inst, rune) ? "1" : "0";
    let cls = this.#classIds.get(key);
    if (cls === undefined) {
      cls = this.#classRune.length;
      this.#classIds.set(key, cls);
      this.#classRune.push(rune);
      this.#classWord.push(word);
    }
    if (rune < 256) this.#latin[rune] = cls;
    else {
      if (this.#wide.size >= MAX_WIDE_CLASSES) this.#wide.clear();
      this.#wide.set(rune, cls);
    }
    return cls;
  }

  /** Computes, caches and returns the step from state `id` on class `cls`. */
  #transition(id: number, cls: number): number {
    const from = this.#states[id];
    const rune = this.#classRune[cls];
    const flags = contextFlags(from.bits, cls === END ? null : rune, this.#classWord[cls]);
    const stack = this.#stack;
    stack.length = 0;
    for (const pc of from.kernel) stack.push(pc);
    if (!this.#anchored || (from.bits & AT_BEGIN) !== 0) stack.push(this.#start);
    const generation = this.#nextGeneration();
    const mark = this.#mark;
    const next: number[] = [];
    let matched = false;
    while (stack.length > 0) {
      const pc = stack.pop()!;
      if (mark[pc] === generation) continue;
      mark[pc] = generation;
      const inst = this.#inst[pc];
      switch (inst.op) {
        case ALT:
        case ALT_MATCH:
          stack.push(inst.arg, inst.out);
          break;
        case CAPTURE:
        case NOP:
          stack.push(inst.out);
          break;
        case EMPTY_WIDTH:
          if ((inst.arg & ~flags) === 0) stack.push(inst.out);
          break;
        case MATCH:
          matched = true;
          break;
        case FAIL:
          break;
        default:
          if (cls !== END && matches(inst, rune)) next.push(inst.out);
      }
    }
    let result: number;
    if (matched) result = MATCHED;
    else if (cls === END || (next.length === 0 && this.#anchored)) result = DEAD;
    else {
      next.sort((a, b) => a - b);
      const kernel = next.filter((pc, i) => i === 0 || pc !== next[i - 1]);
      const bits = (rune === 10 ? AFTER_NEWLINE : 0) | (this.#classWord[cls] ? AFTER_WORD : 0);
      result = this.#intern(kernel, bits);
    }
    if (this.#states[id] === from && this.#cells < MAX_CELLS) {
      from.next[cls] = result;
      this.#cells++;
    }
    return result;
  }

  /** The id of the state (kernel, bits), made if new; resets the cache when it is full. */
  #intern(kernel: readonly number[], bits: number): number {
    const key = `${bits}:${kernel.join(",")}`;
    const known = this.#stateIds.get(key);
    if (known !== undefined) return known;
    if (this.#states.length >= MAX_STATES || this.#cells + kernel.length >= MAX_CELLS) {
      this.#states.length = 1; // keep the start state, drop its transitions
      this.#states[0] = { kernel: [], bits: AT_BEGIN, next: [] };
      this.#stateIds.clear();
      this.#stateIds.set(`${AT_BEGIN}:`, 0);
      this.#cells = 0;
      const again = this.#stateIds.get(key);
      if (again !== undefined) return again;
    }
    const id = this.#states.length;
    this.#states.push({ kernel, bits, next: [] });
    this.#cells += kernel.length;
    this.#stateIds.set(key, id);
    return id;
  }

  #nextGeneration(): number {
    if (this.#generation === 0xffff_ffff) {
      this.#mark.fill(0);
      this.#generation = 0;
    }
    return ++this.#generation;
  }
}

/** The empty-width conditions that hold between the previous character and `rune`. */
function contextFlags(bits: number, rune: number | null, word: boolean): number {
  let flags = 0;
  if ((bits & AT_BEGIN) !== 0) flags |= BEGIN_TEXT | BEGIN_LINE;
  else if ((bits & AFTER_NEWLINE) !== 0) flags |= BEGIN_LINE;
  if (rune === null) flags |= END_TEXT | END_LINE;
  else if (rune === 10) flags |= END_LINE;
  const before = (bits & AFTER_WORD) !== 0;
  flags |= before !== word ? WORD_BOUNDARY : NO_WORD_BOUNDARY;
  return flags;
}

function matches(inst: ProgInst, rune: number): boolean {
  switch (inst.op) {
    case RUNE:
    case RUNE1:
      return inst.matchRune(rune);
    case RUNE_ANY:
      return true;
    case RUNE_ANY_NOT_NL:
      return rune !== 10;
    default:
      return false;
  }
}

/** RE2's `\w` and `\b`: ASCII letters, digits and `_`. */
function isWordRune(rune: number): boolean {
  return (rune >= 48 && rune <= 57) || (rune >= 65 && rune <= 90) || (rune >= 97 && rune <= 122) ||
    rune === 95;
}
