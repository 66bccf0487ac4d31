// Loaded before any test by `npm run test:quick` (test/kit/quickRun.mocharc.js).
import { enterQuickRun } from "./quickRun";

enterQuickRun();
