#!/usr/bin/env node
// Entry point of the kvm-caps command.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
