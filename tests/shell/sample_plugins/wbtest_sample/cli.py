import json


def register(sub):
    p = sub.add_parser("harmonic", help="print partial sums of the harmonic series")
    p.add_argument("--n", type=int, default=5)
    p.set_defaults(func=_harmonic)


def _harmonic(args):
    from workbench.jobs import run_in_terminal
    from wbtest_sample.jobs import HarmonicSpec, run_harmonic

    print(json.dumps({"sums": run_in_terminal(run_harmonic, HarmonicSpec(n=args.n), quiet=True)}))
    return 0
