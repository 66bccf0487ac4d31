// The declarations of an awsvpc task: task definition environment and labels, overrides applied, the
// agent's parser and problems.
import assert from "node:assert/strict";
import { isAwsvpc, type TaskDefinitionShape, taskOffers } from "../../registrar/taskDeclarations";

const definition: TaskDefinitionShape = {
  family: "ecssd-time-fargate",
  networkMode: "awsvpc",
  containerDefinitions: [
    {
      name: "time",
      environment: [
        { name: "SERVICE_8080_NAME", value: "_time._tcp" },
        { name: "SERVICE_8080_WEIGHT", value: "2" },
        { name: "TZ", value: "UTC" },
      ],
      dockerLabels: { SERVICE_9090_NAME: "_time-metrics._tcp" },
      healthCheck: { command: ["CMD", "node", "main.js", "--probe"] },
    },
    { name: "log-router", environment: [] },
  ],
};

describe("taskOffers", () => {
  it("reads each container's declarations from environment and labels", () => {
    const offers = taskOffers(definition);
    assert.deepEqual(
      offers.map((o) => ({
        container: o.container,
        hasHealthCheck: o.hasHealthCheck,
        services: o.declarations.services.map((s) => `${s.srvName}:${s.containerPort}:${s.weight}`),
      })),
      [
        {
          container: "time",
          hasHealthCheck: true,
          services: ["_time._tcp:8080:2", "_time-metrics._tcp:9090:1"],
        },
        { container: "log-router", hasHealthCheck: false, services: [] },
      ],
    );
  });

  it("applies the task's environment overrides to the container they name", () => {
    const offers = taskOffers(definition, [
      { name: "time", environment: new Map([["SERVICE_8080_WEIGHT", "7"]]) },
      { name: "log-router", environment: new Map([["SERVICE_24224_NAME", "_fluent._tcp"]]) },
    ]);
    assert.equal(offers[0]?.declarations.services[0]?.weight, 7);
    assert.deepEqual(
      offers[1]?.declarations.services.map((s) => s.srvName),
      ["_fluent._tcp"],
    );
  });

  it("keeps the other ports when one declaration is malformed, and says which", () => {
    const [offer] = taskOffers({
      containerDefinitions: [
        {
          name: "two",
          environment: [
            { name: "SERVICE_8080_NAME", value: "time" },
            { name: "SERVICE_8081_NAME", value: "_calc._tcp" },
          ],
        },
      ],
    });
    assert.deepEqual(
      offer?.declarations.services.map((s) => s.srvName),
      ["_calc._tcp"],
    );
    assert.deepEqual(
      offer?.declarations.problems.map((p) => p.subject),
      ["SERVICE_8080_NAME"],
    );
  });

  it("tells awsvpc task definitions from bridge and host ones", () => {
    assert.equal(isAwsvpc(definition), true);
    assert.equal(isAwsvpc({ ...definition, networkMode: "bridge" }), false);
    assert.equal(isAwsvpc({ ...definition, networkMode: undefined }), false);
  });
});
