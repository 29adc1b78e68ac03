import { processSuite } from "./process_suite.ts"

processSuite("worker")
