import json


def register(sub):
    p = sub.add_parser("harmonic", help="print partial sums of the harmonic series")
    p.add_argument("--n", type=int, default=5)
    p.add_argument("--delay", type=float, default=0.0, help="seconds per step (a long, cancellable job)")
    p.add_argument("--progress", action="store_true", help="progress bar and log on stderr")
    p.set_defaults(func=_harmonic)


def _harmonic(args):
    from wbtest_sample.jobs import HarmonicSpec, run_harmonic
    from workbench.jobs import run_in_terminal

    sums = run_in_terminal(run_harmonic, HarmonicSpec(n=args.n, delay=args.delay), quiet=not args.progress)
    print(json.dumps({"sums": sums}))
    return 0
