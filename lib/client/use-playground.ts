"use client";
/**
 * The one React hook over the store and the relay: subscribe to snapshots, get `send`. Components
 * below the container receive plain props; only Playground.tsx calls this.
 */
import { useEffect, useMemo, useSyncExternalStore } from "react";
import { PlaygroundStore, type Snapshot } from "../store";
import type { ClientCommand } from "../wire";
import { RelayClient } from "./relay-client";

export interface PlaygroundApi {
  state: Snapshot;
  store: PlaygroundStore;
  send: (command: ClientCommand) => boolean;
}

export function usePlayground(): PlaygroundApi {
  const store = useMemo(() => new PlaygroundStore(), []);
  const client = useMemo(() => (typeof window === "undefined" ? undefined : RelayClient.forPage(store)), [store]);
  useEffect(() => {
    client?.connect();
    return () => client?.close();
  }, [client]);
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  return { state, store, send: (command) => client?.send(command) ?? false };
}
