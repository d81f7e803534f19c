const which = process.argv[2];
const c0 = process.cpuUsage(); const t = performance.now();
await import(which);
const c = process.cpuUsage(c0);
console.log(which, (performance.now()-t).toFixed(1), 'ms wall', ((c.user+c.system)/1000).toFixed(1), 'ms cpu');
