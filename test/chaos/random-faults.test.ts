import { afterEach, describe, expect, it } from "vitest";
import { createFakeKit, FAKE_KIT_API_KEY, type FakeKit } from "../../lib/sandbox/kit";
import { seededRandom } from "./model";

// The fakes' random faults, which the chaos run relies on: the share asked for, only the faults
// given, on requests no queued fault took, the same sequence from the same seed, and gone on recover().

let kit: FakeKit;
afterEach(async () => {
  await kit.stop();
});

async function statuses(count: number, url: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${url}/v4/tags`, { headers: { "x-kit-api-key": FAKE_KIT_API_KEY } });
    await response.arrayBuffer();
    out.push(response.status);
  }
  return out;
}

describe("random faults in the fake providers", () => {
  it("fails about the share asked for, with the faults given, the same way for the same seed", async () => {
    kit = createFakeKit();
    const { url } = await kit.start();
    kit.injectRandomFaults({ rate: 0.25, faults: [{ status: 503 }, { status: 429 }], random: seededRandom(1) });
    const first = await statuses(200, url);
    expect(new Set(first)).toEqual(new Set([200, 503, 429]));
    const failed = first.filter((status) => status !== 200).length;
    expect(failed).toBeGreaterThan(30);
    expect(failed).toBeLessThan(70);

    kit.injectRandomFaults({ rate: 0.25, faults: [{ status: 503 }, { status: 429 }], random: seededRandom(1) });
    expect(await statuses(200, url)).toEqual(first);
  });

  it("lets a queued fault go first, answers only requests its faults match, and stops on recover()", async () => {
    kit = createFakeKit();
    const { url } = await kit.start();
    kit.injectRandomFaults({ rate: 1, faults: [{ status: 500, method: "POST" }], random: seededRandom(2) });
    kit.fail({ status: 502 });
    // The queued 502, then GETs no random fault matches.
    expect(await statuses(3, url)).toEqual([502, 200, 200]);
    const post = await fetch(`${url}/v4/subscribers`, { method: "POST", headers: { "x-kit-api-key": FAKE_KIT_API_KEY, "content-type": "application/json" }, body: JSON.stringify({ email_address: "a@example.com" }) });
    expect(post.status).toBe(500);
    kit.recover();
    const again = await fetch(`${url}/v4/subscribers`, { method: "POST", headers: { "x-kit-api-key": FAKE_KIT_API_KEY, "content-type": "application/json" }, body: JSON.stringify({ email_address: "a@example.com" }) });
    expect(again.status).toBe(201);
  });
});
