/**
 * Root layout: html, body and the stylesheet; nothing stateful lives here. A tiny inline script sets
 * the stored colour theme before the first paint (it carries this request's CSP nonce, which
 * server.ts put in the request's content-security-policy header: the page allows no other inline
 * script), and a skip link leads past the header and the setup pane straight to the run's actions.
 */
import type { Metadata, Viewport } from "next";
import { headers } from "next/headers";
import type { ReactNode } from "react";
import { THEME_BOOT_SCRIPT } from "../lib/client/theme-boot";
import "./globals.css";

export const metadata: Metadata = {
  title: "ACP Playground",
  description: "Drive and inspect Agent Client Protocol agents; make their authentication visible.",
};

export const viewport: Viewport = {
  colorScheme: "light dark",
};

/** This request's script nonce, from the CSP header server.ts set on the request (none: no boot script). */
async function requestNonce(): Promise<string | undefined> {
  const csp = (await headers()).get("content-security-policy") ?? "";
  return /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  const nonce = await requestNonce();
  return (
    <html lang="en" data-theme="system" suppressHydrationWarning>
      <head>
        {nonce ? <script nonce={nonce} dangerouslySetInnerHTML={{ __html: THEME_BOOT_SCRIPT }} /> : null}
      </head>
      <body>
        <a className="skip-link" href="#main" data-testid="skip-link">
          Skip to the run&apos;s actions
        </a>
        {children}
      </body>
    </html>
  );
}
