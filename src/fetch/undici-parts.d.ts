// Types for the two undici files tarboot loads directly (src/fetch/agent.ts says why).
declare module "undici/lib/dispatcher/agent.js" {
  import type { Agent } from "undici";
  const AgentClass: typeof Agent;
  export = AgentClass;
}

declare module "undici/lib/api/api-stream.js" {
  import type { Dispatcher } from "undici";
  const stream: (this: Dispatcher, options: Dispatcher.RequestOptions, factory: Dispatcher.StreamFactory) => Promise<Dispatcher.StreamData>;
  export = stream;
}
