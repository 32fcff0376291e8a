/** Tool-name globs: `*` matches any run of characters, `?` exactly one. */
export function isGlob(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?");
}

export function globToRegExp(pattern: string): RegExp {
  let source = "^";
  for (const char of pattern) {
    if (char === "*") source += "[\\s\\S]*";
    else if (char === "?") source += "[\\s\\S]";
    else source += char.replace(/[\\^$.|+()[\]{}\/]/g, "\\$&");
  }
  return new RegExp(source + "$", "u");
}
