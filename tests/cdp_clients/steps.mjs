// What both client scripts share: named steps, so a failure or a hang names the step, and
// a watchdog so nothing waits forever.

let current = 'start';

// A step that does not finish within `seconds` fails the run (exit 3), naming the step.
export function watchdog(seconds) {
  setTimeout(() => {
    console.error(`step ${current} did not finish within ${seconds} s`);
    process.exit(3);
  }, seconds * 1000).unref();
}

// Runs `fn` as the step `name`; a failure is reported with the step's name, then rethrown.
export async function step(name, fn) {
  current = name;
  try {
    return await fn();
  } catch (e) {
    console.error(`step ${name} failed: ${e.message}`);
    throw e;
  }
}
