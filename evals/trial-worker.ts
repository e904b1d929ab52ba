import { runTrial } from "./harness";
import { createJudge } from "./judge";
import { scenarios } from "./scenarios";
import { evalEnv, resolveChatModel, resolveUserModel } from "./settings";
import { createUserSimulator } from "./user-simulator";

// A child process of the eval runner: runs the trials it is sent, one at a time, each on a
// fresh database, and sends back each result. Its settings (model, simulated customer, judge) come
// from the environment the runner gave it.

type Task = { scenario: string; trial: number };

const { model } = resolveChatModel(evalEnv);
const user = resolveUserModel(evalEnv);
const userSimulator = user ? { simulator: createUserSimulator(user.model), maxTurns: user.maxTurns } : null;
const judge = createJudge(process.env);
const byId = new Map(scenarios.map((scenario) => [scenario.id, scenario]));

process.on("message", (message: Task | "stop") => {
  if (message === "stop") process.exit(0);
  const scenario = byId.get(message.scenario);
  if (!scenario) throw new Error(`no scenario ${message.scenario}`);
  runTrial(scenario, message.trial, { model, userSimulator, judge }).then(
    (result) => process.send!(result),
    (error: Error) => {
      console.error(error);
      process.exit(1);
    },
  );
});
process.send!("ready");
