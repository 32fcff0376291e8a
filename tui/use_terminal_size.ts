/** The terminal's size from Ink's stdout, updated on resize; 80×24 when it cannot say. */
import { useStdout } from "ink";
import { useEffect, useState } from "react";

export interface TerminalSize {
  columns: number;
  rows: number;
}

export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout();
  const read = (): TerminalSize => {
    const { columns, rows } = stdout as { columns?: number; rows?: number };
    return { columns: columns || 80, rows: rows || 24 };
  };
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on("resize", onResize);
    return () => {
      stdout.off("resize", onResize);
    };
  }, [stdout]);
  return size;
}
