package org.tinysql.tensor;

/** Storage types of safetensors files that the engine reads and writes. Computation is always FLOAT. */
public enum DType {
    /** IEEE single precision, 4 bytes: the engine's own type, stored exactly. */
    F32(4),
    /** IEEE half precision, 2 bytes: 10-bit mantissa, range up to 65504. */
    F16(2),
    /** bfloat16, 2 bytes: the upper half of a float (7-bit mantissa, float's range). */
    BF16(2);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /**
     * The size of one stored element.
     * @return 4 for F32, 2 for F16 and BF16
     */
    public int bytes() {
        return bytes;
    }

    /**
     * IEEE half to float (exact).
     * @param h the half's 16 bits
     * @return the same value as a float
     */
    public static float halfToFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            // subnormal half: mant * 2^-24
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /**
     * float to IEEE half, round to nearest even; overflow to infinity, NaN stays NaN.
     * @param f the value
     * @return the nearest half's 16 bits
     */
    public static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int mant = bits & 0x7FFFFF;
        if (exp == 0xFF) {
            return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1F) {
            return (short) (sign | 0x7C00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;
            }
            int m = mant | 0x800000;
            int shift = 14 - e;
            int half = m >>> shift;
            int rem = m & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) == 1)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1FFF;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1)) {
            half++;
        }
        return (short) (sign | half);
    }

    /**
     * bfloat16 bits to float.
     * @param b the bfloat16's 16 bits
     * @return the same value as a float (exact)
     */
    public static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    /**
     * float to bfloat16 bits, round to nearest even (NaN stays NaN).
     * @param f the value
     * @return the nearest bfloat16's 16 bits
     */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7F800000) == 0x7F800000 && (bits & 0x007FFFFF) != 0) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
