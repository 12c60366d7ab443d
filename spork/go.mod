module github.com/zrollup/spork

go 1.19
