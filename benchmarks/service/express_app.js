// An Express app with the service's execution path: POST /api/execute runs the code in a new
// `vm` context per request, with the same response shape as the service. The reference the
// service benchmark compares against (benchmarks/service/load.py).
"use strict";
const express = require("express");
const vm = require("vm");

const app = express();
app.use(express.json({ limit: "10mb" }));

app.post("/api/execute", (req, res) => {
  const { code, context = {}, timeout = 5000 } = req.body || {};
  if (typeof code !== "string" || !code) {
    return res.status(400).json({ success: false, error: "code must be a non-empty string" });
  }
  const started = process.hrtime.bigint();
  try {
    const value = vm.runInNewContext(code, { context, console }, { timeout });
    const result = typeof value === "string" ? value : JSON.stringify(value);
    res.json({
      success: true,
      result,
      executionTime: Number(process.hrtime.bigint() - started) / 1e6,
      timestamp: new Date().toISOString(),
    });
  } catch (error) {
    res.status(400).json({ success: false, error: String(error), timestamp: new Date().toISOString() });
  }
});

const port = Number(process.argv[2] || 3000);
app.listen(port, "127.0.0.1", () => console.log(`listening on ${port}`));
