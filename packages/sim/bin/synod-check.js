#!/usr/bin/env node
import { main } from '../dist/check-cli.js'

process.exitCode = await main(process.argv.slice(2))
