# The two pipelines of MPSR's TwoBranchDataset: the images at one scale
# (1333x800), flipped half of the time; the auxiliary objects, each cropped
# square with 1/7 of context and resized to 6 scales (32 to 800 pixels),
# every crop flipped on its own draw. Normalisation and padding are the
# model's (TwoBranchDataPreprocessor).
multi_scales = (32, 64, 128, 256, 512, 800)
main_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
auxiliary_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='CropInstance', context_ratio=1 / 7.),
    dict(
        type='ResizeToMultiScale',
        scales=[(s * 8 / 7., s * 8 / 7.) for s in multi_scales]),
    dict(
        type='MultiImageRandomCrop',
        crop_sizes=[(s, s) for s in multi_scales]),
    dict(type='MultiImageRandomFlip', prob=0.5),
    dict(type='MultiImagePackDetInputs')
]
