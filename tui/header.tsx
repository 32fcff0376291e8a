/** The selected proxy's header, and the proxy tabs when there are several. */
import { Box } from "ink";
import type { ProxySnapshot } from "./dashboard_state.ts";
import { Line } from "./line.tsx";
import { headerLines, proxyTabs } from "./frame_text.ts";

export function Header(
  props: { proxies: readonly ProxySnapshot[]; proxy: ProxySnapshot; width: number },
) {
  const { proxies, proxy, width } = props;
  return (
    <Box flexDirection="column">
      {proxies.length > 1 && <Line segments={proxyTabs(proxies, proxy.path, width)} />}
      {headerLines(proxy, width).map((segments, index) => <Line key={index} segments={segments} />)}
    </Box>
  );
}

/** How many rows the header takes, for the layout. */
export function headerRows(proxies: readonly ProxySnapshot[], proxy: ProxySnapshot, width: number) {
  return (proxies.length > 1 ? 1 : 0) + headerLines(proxy, width).length;
}
