// Stands in for koffi where a test evaluates modules without calling into C (what they load at
// evaluation, say): every property and every call gives the stub again.
const stub: unknown = new Proxy(function stubbed() {}, {
  get: (_target, prop) => (prop === Symbol.toPrimitive ? () => 0 : stub),
  apply: () => stub,
  construct: () => stub as object,
});

export default stub;
