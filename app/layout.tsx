/** Root layout: html, body and the stylesheet; nothing stateful lives here. */
import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: "ACP Playground",
  description: "Drive and inspect Agent Client Protocol agents; make their authentication visible.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
