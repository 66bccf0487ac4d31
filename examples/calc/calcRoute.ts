// GET /calc/{formula}: the value of an arithmetic formula, or 400 saying what is wrong and where.
import { HttpError } from "../shared/httpError";
import type { Route } from "../shared/httpService";
import { CalcError } from "./calcError";
import { calculate } from "./evaluate";

export function calcRoute(): Route {
  return {
    prefix: "/calc/",
    handle(formula) {
      try {
        return { json: { formula, result: calculate(formula) } };
      } catch (err) {
        if (err instanceof CalcError) {
          throw new HttpError(
            400,
            err.message,
            { formula, problem: err.problem, column: err.column },
            { cause: err },
          );
        }
        throw err;
      }
    },
  };
}
