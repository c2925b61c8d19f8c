/** Next.js config: the UI is served by our own server.ts, so Next only builds and renders pages. */
import type { NextConfig } from "next";

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // server.ts and server/ are run by tsx, never bundled by Next.
  typescript: { ignoreBuildErrors: false },
};

export default config;
