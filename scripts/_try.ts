import { loadPolicyFile } from "../src/policy/loader.ts";
try { const p = await loadPolicyFile(Deno.args[0]); console.log(p); } catch (e) { console.log(String(e.message)); }
