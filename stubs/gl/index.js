// Stand-in for headless-gl (the npm package `gl`). gpu.js requires it inside a try/catch and,
// when the require fails, simply reports its headlessgl mode as unsupported.
throw new Error('headless-gl is replaced by a stub (the "overrides" in package.json)');
