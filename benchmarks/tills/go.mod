module retention/benchmarks/tills

go 1.22
