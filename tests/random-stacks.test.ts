import fc from "fast-check";
import { checkInvalidStack, checkValidStack, invalidStack, runCounts, validStack } from "./fixtures/random-stacks";

// A small sample here; `pnpm run bench -- --nightly` runs >= 1,000 (see tests/bench.ts).
const runs = runCounts(false);

describe("random stacks (existing cluster, EKS, GKE): property tests", function () {
  this.timeout(120_000);

  it(`synthesises every valid argument set and passes the whole pack (${runs.valid} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(validStack, async (stack) => void (await checkValidStack(stack))),
      {
        numRuns: runs.valid,
      },
    );
  });

  it(`refuses every invalid argument set with an error naming the field (${runs.invalid} runs)`, async () => {
    await fc.assert(fc.asyncProperty(invalidStack, checkInvalidStack), { numRuns: runs.invalid });
  });
});
