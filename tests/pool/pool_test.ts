import { poolSuite } from "./pool_suite.ts"

poolSuite("worker")
