-- PutFunctionRecursionConfig's RecursiveLoop ('Allow' or 'Terminate'); NULL until one is put, answered as AWS's default 'Terminate'.
ALTER TABLE functions ADD COLUMN recursive_loop TEXT;
