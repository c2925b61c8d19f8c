/** The playground page; everything interactive is in the client container. */
import { Playground } from "../components/Playground";

export const dynamic = "force-dynamic";

export default function Page() {
  return <Playground />;
}
