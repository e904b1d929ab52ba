import { chooseChatModel } from "../lib/chat/model";
import { runTrial } from "./harness";
import { scenarios } from "./scenarios";
import { evalEnv } from "./settings";

// A child process of the eval runner: runs the trials it is sent, one at a time, each on a
// fresh database, and sends back each result.

type Task = { scenario: string; trial: number };

const model = chooseChatModel({ OPENAI_API_KEY: evalEnv.OPENAI_API_KEY, OPENAI_BASE_URL: evalEnv.OPENAI_BASE_URL, OPENAI_MODEL: evalEnv.OPENAI_MODEL });
const byId = new Map(scenarios.map((scenario) => [scenario.id, scenario]));

process.on("message", (message: Task | "stop") => {
  if (message === "stop") process.exit(0);
  const scenario = byId.get(message.scenario);
  if (!scenario) throw new Error(`no scenario ${message.scenario}`);
  runTrial(scenario, message.trial, { model }).then(
    (result) => process.send!(result),
    (error: Error) => {
      console.error(error);
      process.exit(1);
    },
  );
});
process.send!("ready");
