import bcrypt from "bcryptjs";

// bcryptjs is pure JS: no native build, same hashes as bcrypt. Cost 12 ≈ 200 ms here.
const COST = 12;

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, COST);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}
